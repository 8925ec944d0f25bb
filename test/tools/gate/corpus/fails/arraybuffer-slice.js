// ArrayBuffer.prototype.slice.
var u = new Uint8Array([1, 2, 3, 4]);
var b = u.buffer.slice(1, 3);
if (b.byteLength === 2 && new Uint8Array(b)[0] === 2) console.log("OK");
