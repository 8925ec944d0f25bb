// A var in a for head is created when the loop starts, even with no turn.
function count(o) {
  for (var k in o) {}
  for (var i = 0; i < 0; i++) {}
  return (k === undefined ? "k" : "") + i;
}
if (count({}) === "k0") console.log("OK");
