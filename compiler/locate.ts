import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Diagnostic } from './diagnostics.ts';

/**
 * Fills in file:line:col for diagnostics that only know a path into a
 * definition, by walking the declaration's object literal with ts-morph.
 * Only files with diagnostics are parsed, so a clean compile never loads it.
 */
export async function locateDiagnostics(
  root: string,
  diagnostics: readonly (Diagnostic & { exportName?: string })[],
): Promise<Diagnostic[]> {
  const pending = diagnostics.filter((d) => d.line === undefined && d.exportName);
  if (pending.length === 0) return diagnostics.map(strip);
  const { Project, Node } = await import('ts-morph');
  const project = new Project({ useInMemoryFileSystem: true });
  const files = new Map<string, import('ts-morph').SourceFile>();
  const sourceFile = async (file: string) => {
    if (!files.has(file)) files.set(file, project.createSourceFile(file, await readFile(join(root, file), 'utf8')));
    return files.get(file)!;
  };

  // Follows an identifier to the initializer of the const it names.
  const resolve = (node: import('ts-morph').Node): import('ts-morph').Node => {
    if (Node.isIdentifier(node)) {
      const decl = node.getSourceFile().getVariableDeclaration(node.getText());
      const init = decl?.getInitializer();
      if (init) return resolve(init);
    }
    if (Node.isCallExpression(node) && node.getExpression().getText() === 'entity') {
      // entity(key, values): a path ['entity', 'values', name] or ['entity', 'key'].
      return node;
    }
    return node;
  };

  const find = (start: import('ts-morph').Node, path: readonly (string | number)[]): import('ts-morph').Node => {
    let node = start;
    for (const segment of path) {
      const target = resolve(node);
      let next: import('ts-morph').Node | undefined;
      if (Node.isObjectLiteralExpression(target) && typeof segment === 'string') {
        const prop = target.getProperty(segment);
        next = Node.isPropertyAssignment(prop) ? prop.getInitializer() : prop;
      } else if (Node.isArrayLiteralExpression(target) && typeof segment === 'number') {
        next = target.getElements()[segment];
      } else if (Node.isCallExpression(target) && target.getExpression().getText() === 'entity') {
        const args = target.getArguments();
        next = segment === 'key' ? args[0] : args[1] && Node.isObjectLiteralExpression(resolve(args[1])) ? (resolve(args[1]) as import('ts-morph').ObjectLiteralExpression).getProperty(String(segment)) : args[1];
        if (next && Node.isPropertyAssignment(next)) next = next.getInitializer();
      }
      if (!next) break;
      node = next;
    }
    return node;
  };

  const out: Diagnostic[] = [];
  for (const d of diagnostics) {
    if (d.line !== undefined || !d.exportName) {
      out.push(strip(d));
      continue;
    }
    const sf = await sourceFile(d.file);
    const decl = sf.getVariableDeclaration(d.exportName);
    let node: import('ts-morph').Node | undefined = decl;
    const call = decl?.getInitializer();
    if (call && Node.isCallExpression(call) && call.getArguments()[0]) node = find(call.getArguments()[0]!, d.path);
    const { line, column } = node ? sf.getLineAndColumnAtPos(node.getStart()) : { line: 1, column: 1 };
    out.push({ ...strip(d), line, column });
  }
  return out;
}

function strip(d: Diagnostic & { exportName?: string }): Diagnostic {
  const { exportName: _unused, ...rest } = d;
  return rest;
}
