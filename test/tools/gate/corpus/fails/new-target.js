// new.target.
function F() { this.ok = new.target === F; }
if (new F().ok) console.log("OK");
