// A function called before its declaration.
console.log(f() === 1 ? "OK" : "bad");
function f() { return 1; }
