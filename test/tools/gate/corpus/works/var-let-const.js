// var, and let/const with block scope.
var v = 1;
let l = 1;
const c = 1;
{
  let l = 2;
  const c = 2;
  v = l + c;
}
if (v === 4 && l === 1 && c === 1) console.log("OK");
