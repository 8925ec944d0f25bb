// Promise.prototype.finally.
Promise.resolve(1).finally(function () { console.log("OK"); });
