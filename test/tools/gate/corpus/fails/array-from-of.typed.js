// Uint8Array.from.
var u = Uint8Array.from([1, 2]);
if (u.length === 2 && u[1] === 2) console.log("OK");
