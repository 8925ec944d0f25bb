// Typed arrays incl. set, subarray, slice, and DataView.
var u = new Uint8Array(4);
u.set([1, 2], 1);
var sub = u.subarray(1, 3);
var sl = u.slice(1, 3);
sub[0] = 9;
var dv = new DataView(new ArrayBuffer(4));
dv.setUint16(0, 0x1234);
if (u[1] === 9 && sl[0] === 1 && sl[1] === 2 && dv.getUint8(0) === 0x12) console.log("OK");
