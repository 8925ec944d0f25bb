// Promise.race.
Promise.race([Promise.resolve(1)]).then(function (v) { if (v === 1) console.log("OK"); });
