// extends Date (any built-in constructor fails).
class Day extends Date {
  constructor(t) { super(t); this.k = 1; }
}
var d = new Day(0);
if (d.k === 1 && d.getTime() === 0) console.log("OK");
