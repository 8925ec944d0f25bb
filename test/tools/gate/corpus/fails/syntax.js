// A bundle that does not parse.
var a = {;
console.log("OK");
