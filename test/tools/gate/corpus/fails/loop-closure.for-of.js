// for (const x of ...): every closure sees the last value.
var fs = [];
for (const x of [1, 2, 3]) fs.push(function () { return x; });
if (fs[0]() === 1 && fs[2]() === 3) console.log("OK");
