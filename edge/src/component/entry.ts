// Entry of the esbuild bundle that Greengrass runs (`node towerwatch-edge.cjs`).
import { main } from '../main.js';

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (e: unknown) => {
    console.error(`towerwatch edge: ${(e as Error).message}`);
    process.exitCode = 2;
  },
);
