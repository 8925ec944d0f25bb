// [].slice.call(x), fn.apply, fn.bind, fn.call.
function sum() { var a = [].slice.call(arguments); return a[0] + a[1]; }
function get() { return this.v; }
var bound = get.bind({ v: 4 });
if (sum.apply(null, [1, 2]) === 3 && bound() === 4 && get.call({ v: 5 }) === 5) console.log("OK");
