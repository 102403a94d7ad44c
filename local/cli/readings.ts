/**
 * `towerwatch readings`: the cloud command (raw readings from DynamoDB), with `--resolution` served
 * from the rollups of a local archive (`local/rollups`), which the cloud code cannot import.
 */
import { existsSync } from 'node:fs';
import { main as readingsMain, ReadingsCommandError } from '../../cloud/cli/readings.js';
import { openRollupStore } from '../rollups/index.js';

export function main(argv: string[]): Promise<number> {
  return readingsMain(argv, {
    async openRollups(archiveDir) {
      if (!existsSync(archiveDir)) {
        throw new ReadingsCommandError(
          `--archive ${archiveDir} does not exist: start the local stack (npm start) to write one, or name the folder with --archive`,
        );
      }
      return openRollupStore(archiveDir);
    },
  });
}
