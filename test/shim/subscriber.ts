// A separate client process for survival.test.ts: subscribes to a shim and prints "<seq> <topic> <exit>" per event.
import { ShimClient } from '../../shim/src/client.js';

const c = await ShimClient.connect(process.argv[2] as string);
for await (const e of c.subscribe(0n)) process.stdout.write(`${e.seq} ${e.topic} ${e.exitStatus}\n`);
