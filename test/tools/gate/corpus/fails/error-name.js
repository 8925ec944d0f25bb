// e.name on a caught error.
try { null.x; } catch (e) {
  if (e.name === "TypeError") console.log("OK");
}
