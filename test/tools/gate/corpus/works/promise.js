// Promise new/then/catch/resolve/reject/all.
var p = new Promise(function (resolve) { resolve(1); });
Promise.all([p, Promise.resolve(2)]).then(function (v) {
  return Promise.reject(new Error("e" + (v[0] + v[1])));
}).catch(function (e) {
  if (e.message === "e3") console.log("OK");
});
