// also: async
// await (it needs an async function, so that is reported too).
async function f() {
  var v = await Promise.resolve(1);
  if (v === 1) console.log("OK");
}
f();
