// An array hole outside a switch case or ternary branch.
var a = [1, , 3];
if (a.length === 3 && a[1] === undefined) console.log("OK");
