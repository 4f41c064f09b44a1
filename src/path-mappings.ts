/** Config node `path-mappings`: ordered `from → to` rules, with a live preview endpoint for its edit dialog. */
import type { Node, NodeAPI, NodeDef } from 'node-red';
import type { Request, Response } from 'express';
import { MappingRule, TrailingMode, mapperFromSettings } from './sync/path-mapping';
import type { PathMappingsNode } from './node-red/config-nodes';

interface PathMappingsDef extends NodeDef {
  rules?: MappingRule[];
  required?: boolean;
  trailing?: TrailingMode;
}

interface PreviewBody {
  rules?: unknown;
  required?: unknown;
  trailing?: unknown;
  path?: unknown;
  direction?: unknown;
}

export = function (RED: NodeAPI): void {
  function PathMappings(this: Node, def: PathMappingsDef): void {
    RED.nodes.createNode(this, def);
    const node = this as PathMappingsNode;
    try {
      node.mapper = mapperFromSettings(def);
    } catch (err) {
      node.problem = (err as Error).message;
      node.error(`path mappings "${def.name || def.id}": ${node.problem}`);
    }
  }

  RED.nodes.registerType('path-mappings', PathMappings);

  // The edit dialog's live test box: maps a typed path with the rules as they stand in the dialog, using the
  // same code as the runtime.
  RED.httpAdmin.post(
    '/player-sync/path-mappings/preview',
    RED.auth.needsPermission('path-mappings.read'),
    (req: Request, res: Response) => {
      const body = (req.body ?? {}) as PreviewBody;
      try {
        const mapper = mapperFromSettings(body);
        const path = typeof body.path === 'string' ? body.path : '';
        const result = body.direction === 'reverse' ? mapper.toLibrary(path) : mapper.toPlayer(path);
        res.json({ ok: true, ...result });
      } catch (err) {
        res.json({ ok: false, error: (err as Error).message });
      }
    },
  );
};
