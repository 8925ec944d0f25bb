/**
 * An error the device code sees, raised by the simulated Espruino API.
 *
 * Usage: `throw new DeviceError("Invalid pin")` inside an API function; the
 * API guard (espruino-api.ts) rethrows it as an `Error` of the device's own
 * realm with the same message, so `e instanceof Error` holds in device code
 * (`new DeviceError(message, "TypeError")`: a TypeError of the device realm).
 *
 * Errors: messages copy the interpreter's where it throws (measured on 2v29,
 * e.g. `Invalid pin`, `Unknown pin mode`); where the simulator is stricter
 * than the chip the message says so and names the fix.
 */
export class DeviceError extends Error {
  /** Which of the device realm's error classes device code sees: Error, or TypeError where the interpreter throws one. */
  readonly type: "Error" | "TypeError";

  constructor(message: string, type: "Error" | "TypeError" = "Error") {
    super(message);
    this.name = "DeviceError";
    this.type = type;
  }
}
