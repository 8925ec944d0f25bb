// An array hole in a ternary branch that is skipped.
var x = 1;
var r = x ? 5 : [1, , 3];
if (r === 5) console.log("OK");
