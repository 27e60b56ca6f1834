// A Sparkplug B edge node for the integration tests, built on the Eclipse Tahu JavaScript client
// (npm `sparkplug-client`), which publishes the births, data and deaths and answers rebirth requests.
// One device with three metrics declared at birth with aliases; data is sent by alias only.
//
// Usage: node edge-node.js <broker url> <group> <edge node> <device> <start time, ms since epoch>
// Reads commands from stdin, one JSON object per line, and does them in order:
//   {"at": <minutes after the start time>, "good": n, "scrap": n, "state": "RUN", "skipSeq": true}
//       DDATA with the given metrics, dated start + at; skipSeq first drops a sequence number (a lost message).
//   {"die": true}   NDEATH (the client's death certificate), then exit.
// Writes one line per thing that happened: READY (births sent), REBIRTH (births sent again after an
// NCMD Node Control/Rebirth from the host), SENT <n> (a DDATA written to the broker), DEAD.
'use strict';
const readline = require('readline');
const sparkplug = require('sparkplug-client');

const [broker, group, node, device, start] = process.argv.slice(2);
const origin = Number(start);
const current = { good: 1000, scrap: 10, state: 'RUN', at: 0 };
let ready = false;

const client = sparkplug.newClient({
  serverUrl: broker, groupId: group, edgeNode: node, clientId: `${group}-${node}-${process.pid}`,
  username: '', password: '', publishDeath: true, version: 'spBv1.0',
});

const time = minutes => origin + minutes * 60000;

function births() {
  client.publishNodeBirth({
    timestamp: time(current.at),
    metrics: [{ name: 'Node Control/Rebirth', type: 'Boolean', value: false }],
  });
  client.publishDeviceBirth(device, {
    timestamp: time(current.at),
    metrics: [
      { name: 'Count/Good', alias: 1, type: 'UInt64', value: current.good },
      { name: 'Count/Scrap', alias: 2, type: 'UInt64', value: current.scrap },
      { name: 'State', alias: 3, type: 'String', value: current.state },
    ],
  });
}

client.on('birth', () => {
  births();
  if (!ready) {
    ready = true;
    console.log('READY');
  }
});

client.on('ncmd', payload => {
  const rebirth = (payload.metrics || []).find(m => m.name === 'Node Control/Rebirth' && m.value === true);
  if (rebirth) {
    births();
    console.log('REBIRTH');
  }
});

client.on('error', error => {
  console.error(`ERROR ${error.message}`);
  process.exit(2);
});

let sent = 0;
const lines = readline.createInterface({ input: process.stdin });
lines.on('line', line => {
  const command = JSON.parse(line);
  if (command.die) {
    client.stop();
    console.log('DEAD');
    setTimeout(() => process.exit(0), 200);
    return;
  }

  const metrics = [];
  if (command.good !== undefined) { current.good = command.good; metrics.push({ alias: 1, type: 'UInt64', value: command.good }); }
  if (command.scrap !== undefined) { current.scrap = command.scrap; metrics.push({ alias: 2, type: 'UInt64', value: command.scrap }); }
  if (command.state !== undefined) { current.state = command.state; metrics.push({ alias: 3, type: 'String', value: command.state }); }
  current.at = command.at;
  if (command.skipSeq) {
    client.incrementSeqNum();
  }

  client.publishDeviceData(device, { timestamp: time(command.at), metrics });
  console.log(`SENT ${++sent}`);
});
