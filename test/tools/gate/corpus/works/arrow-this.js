// Arrow functions with lexical this.
function Counter() {
  this.n = 0;
  var add = () => { this.n++; };
  add(); add();
}
var sq = (x) => x * x;
if (new Counter().n === 2 && sq(3) === 9) console.log("OK");
