// Numeric separators, 0b and 0o.
if (1_000 === 1000 && 0b101 === 5 && 0o17 === 15) console.log("OK");
