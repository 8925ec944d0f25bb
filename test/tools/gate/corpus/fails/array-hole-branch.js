// An array hole in a switch case that is skipped.
var x = 1, r = 0;
switch (x) {
  case 1: r = 1; break;
  case 2: r = [1, , 3]; break;
}
if (r === 1) console.log("OK");
