// Object.create with property descriptors.
var o = Object.create({}, { x: { value: 1, enumerable: true } });
if (o.x === 1) console.log("OK");
