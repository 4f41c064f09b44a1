/** Flow node `arr-event`: Radarr/Sonarr webhook bodies (or plain {path, action}) → change items. */
import type { Node, NodeAPI, NodeDef } from 'node-red';
import { arrToChanges } from './sync/arr-event';
import { handleInput } from './node-red/flow-node';
import { done, statusText, useCatalog } from './node-red/status';

interface ArrEventDef extends NodeDef {
  /** "array": one message with every change item; "split": one message per item. */
  output?: 'array' | 'split';
}

export = function (RED: NodeAPI): void {
  useCatalog(RED);
  function ArrEvent(this: Node, def: ArrEventDef): void {
    RED.nodes.createNode(this, def);
    const node = this;
    node.on(
      'input',
      handleInput(node, (msg, send) => {
        let outcome;
        try {
          outcome = arrToChanges(msg.payload);
        } catch (err) {
          throw new Error(`arr-event: ${(err as Error).message}`, { cause: err });
        }
        if (outcome.result !== 'changes') {
          msg.payload = outcome;
          node.status({
            fill: 'grey',
            shape: 'dot',
            text:
              outcome.result === 'test'
                ? statusText('testEvent')
                : statusText('ignored', { event: outcome.eventType }),
          });
          send(msg);
          return;
        }
        const { items } = outcome;
        node.status(
          done(items.length === 1 ? statusText('oneChange') : statusText('changes', { count: items.length })),
        );
        if (def.output === 'split') {
          // [[a, b, …]]: every message on the one output
          send([items.map((item) => ({ ...RED.util.cloneMessage(msg), payload: item }))]);
          return;
        }
        msg.payload = items;
        send(msg);
      }),
    );
  }
  RED.nodes.registerType('arr-event', ArrEvent);
};
