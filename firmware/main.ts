/** The device bundle's entry: everything runs from here, once, at load. */
import { boot } from "./boot.ts";

boot();
