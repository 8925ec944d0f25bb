// for...of over arrays, strings, typed arrays and arguments.
var n = 0;
for (const x of [1, 2]) n += x;
for (const ch of "ab") n += ch.length;
for (const b of new Uint8Array([3, 4])) n += b;
function f() { for (const a of arguments) n += a; }
f(5);
if (n === 17) console.log("OK");
