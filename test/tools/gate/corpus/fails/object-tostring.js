// Object.prototype.toString to tell types apart.
var tag = Object.prototype.toString.call([]);
if (tag === "[object Array]") console.log("OK");
