// extends Array.
class List extends Array {}
var l = new List();
l.push(1);
if (l.length === 1 && l instanceof List) console.log("OK");
