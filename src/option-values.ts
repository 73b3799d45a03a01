/**
 * One option value checked against its kind's rule: a raw flag or env text (parseValue, also used by
 * `pounce wrap`'s own table), or a config file's JavaScript value turned into that text first
 * (fromFile). The option table itself is config.ts.
 */
import { availableParallelism } from "node:os";
import type { Kind, OptionSpec } from "./config.ts";
import { errors } from "./errors.ts";

const NUMERIC_KINDS = new Set<Kind>([
  "port",
  "workers",
  "count",
  "seconds",
  "optional-seconds",
  "seconds-or-zero",
  "bytes",
  "limit",
]);
/** Units of a "bytes" value (case-insensitive; decimal spellings read as binary, as most servers do). */
const BYTE_UNITS: Record<string, number> = {
  "": 1,
  b: 1,
  k: 1024,
  kb: 1024,
  kib: 1024,
  m: 1024 ** 2,
  mb: 1024 ** 2,
  mib: 1024 ** 2,
  g: 1024 ** 3,
  gb: 1024 ** 3,
  gib: 1024 ** 3,
};

/** A file value as the flag parser takes it, once its JavaScript type fits the option's kind. */
export function fromFile(spec: OptionSpec, value: unknown, source: string): string | boolean {
  if (spec.kind === "boolean") {
    if (typeof value === "boolean") return value;
    throw errors.badValue(source, "must be true or false", value);
  }
  if (NUMERIC_KINDS.has(spec.kind)) {
    if (typeof value === "number") return String(value);
    if (spec.kind === "workers" && value === "auto") return value;
    if (spec.kind === "bytes" && typeof value === "string") return value;
    throw errors.badValue(source, spec.kind === "workers" ? 'must be a number or "auto"' : "must be a number", value);
  }
  if (spec.kind === "mode") {
    // A number is taken at its value (write 0o660, not 660); a string is octal text ("0660").
    if (typeof value === "number" && Number.isInteger(value) && value >= 0 && value <= 0o777)
      return value.toString(8).padStart(4, "0");
    if (typeof value === "string") return value;
    throw errors.badValue(source, 'must be permission bits: an octal string such as "0660" or a number such as 0o660', value);
  }
  if (spec.kind === "list" || spec.kind === "extensions") {
    if (Array.isArray(value) && value.every((v) => typeof v === "string")) return value.join(",");
    if (typeof value === "string") return value;
    throw errors.badValue(source, "must be a list of strings", value);
  }
  if (typeof value === "string") return value;
  throw errors.badValue(source, "must be a string", value);
}

/** One raw value checked against its option's rule (also used by `pounce wrap`'s own table). */
export function parseValue(
  spec: Pick<OptionSpec, "kind" | "choices">,
  raw: string | boolean,
  source: string,
  shown: unknown = raw,
): unknown {
  const text = typeof raw === "boolean" ? String(raw) : raw.trim();
  switch (spec.kind) {
    case "string":
      return text;
    case "boolean":
      if (/^(1|true|yes|on)$/i.test(text)) return true;
      if (/^(0|false|no|off|)$/i.test(text)) return false;
      throw errors.badValue(source, "must be true or false", shown);
    case "port": {
      const n = Number(text);
      if (text === "" || !Number.isInteger(n) || n < 0 || n > 65535)
        throw errors.badValue(source, "must be an integer port from 0 to 65535", shown);
      return n;
    }
    case "mode": {
      if (!/^0?[0-7]{3}$/.test(text)) throw errors.badValue(source, "must be octal permission bits such as 0660", shown);
      return Number.parseInt(text, 8);
    }
    case "workers": {
      if (text === "auto") return Math.max(1, availableParallelism());
      const n = Number(text);
      if (text === "" || !Number.isInteger(n) || n < 1 || n > 1024)
        throw errors.badValue(source, "must be a whole number from 1 to 1024, or auto", shown);
      return n;
    }
    case "count": {
      const n = Number(text);
      if (text === "" || !Number.isInteger(n) || n < 0 || n > 1024)
        throw errors.badValue(source, "must be a whole number from 0 to 1024 (0 = off)", raw);
      return n;
    }
    case "limit": {
      const n = Number(text);
      if (text === "" || !Number.isInteger(n) || n < 0 || n > 2 ** 31)
        throw errors.badValue(source, "must be a whole number, 0 or more (0 = off)", shown);
      return n;
    }
    case "seconds":
    case "optional-seconds": {
      if (spec.kind === "optional-seconds" && text === "") return 0;
      const n = Number(text);
      if (text === "" || !Number.isFinite(n) || n <= 0)
        throw errors.badValue(source, "must be a positive number of seconds", shown);
      return n;
    }
    case "seconds-or-zero": {
      const n = Number(text);
      if (text === "" || !Number.isFinite(n) || n < 0)
        throw errors.badValue(source, "must be 0 or a positive number of seconds", shown);
      return n;
    }
    case "bytes": {
      const m = /^(\d+(?:\.\d+)?)\s*([a-z]*)$/i.exec(text);
      const unit = m ? BYTE_UNITS[(m[2] as string).toLowerCase()] : undefined;
      const n = m && unit ? Math.floor(Number(m[1]) * unit) : Number.NaN;
      if (!Number.isSafeInteger(n) || n < 1)
        throw errors.badValue(source, "must be a positive size in bytes, optionally with a unit (512KiB, 4MiB, 1GiB)", shown);
      return n;
    }
    case "path":
      if (text !== "" && !text.startsWith("/")) throw errors.badValue(source, "must start with /", shown);
      return text;
    case "list":
      return splitList(text);
    case "extensions":
      return splitList(text).map((ext) => {
        const dotted = ext.startsWith(".") ? ext : `.${ext}`;
        if (!/^\.[\w.+-]+$/.test(dotted)) throw errors.badValue(source, "must be file extensions like .html,.css", raw);
        return dotted.toLowerCase();
      });
    case "enum":
      if (!spec.choices?.includes(text)) throw errors.badValue(source, `must be one of ${spec.choices?.join(", ")}`, shown);
      return text;
  }
}

function splitList(text: string): string[] {
  return text
    .split(",")
    .map((s) => s.trim())
    .filter(Boolean);
}
