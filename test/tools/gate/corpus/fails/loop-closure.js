// for (let i...): every closure sees the last value.
var fs = [];
for (let i = 0; i < 3; i++) fs.push(function () { return i; });
if (fs[0]() === 0 && fs[2]() === 2) console.log("OK");
