import { readdirSync } from 'node:fs';
import { join } from 'node:path';

const SEGMENT_FILE = /^(\d{12})\.seg$/;

export function segmentPath(laneDir: string, segment: number): string {
  return join(laneDir, `${String(segment).padStart(12, '0')}.seg`);
}

/** Segment numbers present in a lane directory, oldest first. */
export function listSegments(laneDir: string): number[] {
  return readdirSync(laneDir)
    .map((f) => SEGMENT_FILE.exec(f)?.[1])
    .filter((n): n is string => n !== undefined)
    .map(Number)
    .sort((a, b) => a - b);
}
