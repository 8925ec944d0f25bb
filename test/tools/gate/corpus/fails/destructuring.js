// Destructuring.
var o = { a: 1, b: 2 };
var { a, b } = o;
if (a === 1 && b === 2) console.log("OK");
