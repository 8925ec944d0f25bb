// RangeError.
try { throw new RangeError("r"); } catch (e) {
  if (e instanceof RangeError && e.message === "r") console.log("OK");
}
