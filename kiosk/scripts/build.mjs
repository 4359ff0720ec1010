// Copies the browser builds of npm packages into static/vendor/ (served by the backend; the
// counters' closed network has no CDN). Run by `npm run build` (scripts/bootstrap.sh does).
import { copyFileSync, mkdirSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, "..");
const vendor = join(root, "static", "vendor");
const files = [
  ["node_modules/signature_pad/dist/signature_pad.umd.min.js", "signature_pad.umd.min.js"],
];
mkdirSync(vendor, { recursive: true });
for (const [from, to] of files) {
  copyFileSync(join(root, from), join(vendor, to));
  console.log(`vendor: ${to}`);
}
