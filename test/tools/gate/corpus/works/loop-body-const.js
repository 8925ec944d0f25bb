// The loop-closure workaround: capture a const declared in the body.
var fs = [];
for (let i = 0; i < 3; i++) {
  const j = i;
  fs.push(function () { return j; });
}
if (fs[0]() === 0 && fs[2]() === 2) console.log("OK");
