// Getters in object literals, shorthand properties, method shorthand.
var a = 1;
var o = { a, get two() { return 2; }, m() { return 3; } };
if (o.a === 1 && o.two === 2 && o.m() === 3) console.log("OK");
