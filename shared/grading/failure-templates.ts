/**
 * The words a failure message is made of, as templates, read from the graders' source with the
 * TypeScript compiler (its type checker names the parameter each argument of a call goes to).
 * Two kinds:
 * - **sentences**: what a grader gives fail() or check() as `expected`, `actual` or `look` (and
 *   the variables and parameters so named, a `…_LOOK` constant, and an argument for a parameter
 *   named `look`);
 * - **phrases**: the parts put into those sentences: a step (`ctx.step(what)`), and any text for a
 *   parameter, property or variable named `what`, `after`, `why`, `when` or `which`, and what a
 *   `describe…()` function returns (a `const describe… = (…) => …` too), and the texts a
 *   template chooses between inside itself (`${cond ? ` (after …)` : ''}`).
 * `${…}` parts become `{{0}}`, `{{1}}`, … in order. The translations live in
 * `shared/i18n/locales/<lang>/failures/<group>.json` as `{ "sentences": {…}, "phrases": {…} }`,
 * keyed by these templates; test/meta/i18n.test.ts checks that each has one, with the same
 * placeholders. `<group>` is a lesson's slug, or `shared` for shared/grading.
 *
 * `npx tsx shared/grading/failure-templates.ts <group> [--lang zh-CN]` writes the group's file
 * back with every template in source order: the translated ones kept, the new ones empty ("")
 * for a translator to fill, the stale ones dropped.
 *
 * Only the test tooling and that command load this file (it needs the `typescript` package).
 */
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import ts from 'typescript';
import { lessons } from '../manifest.ts';
import { projectRoot } from '../paths.ts';
import { failureCatalogFile, readFailureCatalog, type FailureCatalog, type TemplateKind } from './failure-text.ts';

/** The kind of text a name holds: a sentence of a failure, or a phrase put into one. */
function kindOfName(name: string): TemplateKind | undefined {
  if (/^(expected|actual|look|[a-z]+Look|[A-Z_]+_LOOK)$/.test(name)) return 'sentences';
  if (/^(what|after|why|when|which)$/.test(name)) return 'phrases';
  return undefined;
}

/** The source files of a group: a lesson's grader, or everything in shared/grading that fails a test. */
export function groupSources(group: string): string[] {
  if (group !== 'shared') return [path.join(projectRoot, 'test', 'graders', `${group}.ts`)];
  const folder = path.join(projectRoot, 'shared', 'grading');
  return readdirSync(folder)
    .filter((file) => file.endsWith('.ts') && file !== 'failure-templates.ts')
    .map((file) => path.join(folder, file));
}

export const failureGroups = (): string[] => [...lessons.map((lesson) => lesson.slug), 'shared'];

/**
 * The template of an expression: a string, a template literal, or a `+` chain of them; the
 * parts that are not text become placeholders. Undefined when it has no text of its own.
 */
function templateOf(node: ts.Expression, source: ts.SourceFile): string[] {
  const parts: Array<string | null> = [];
  const walk = (expression: ts.Expression): void => {
    if (ts.isParenthesizedExpression(expression)) return walk(expression.expression);
    if (ts.isStringLiteral(expression) || ts.isNoSubstitutionTemplateLiteral(expression)) return void parts.push(expression.text);
    if (ts.isTemplateExpression(expression)) {
      parts.push(expression.head.text);
      for (const span of expression.templateSpans) parts.push(null, span.literal.text);
      return;
    }
    if (ts.isBinaryExpression(expression) && expression.operatorToken.kind === ts.SyntaxKind.PlusToken) {
      walk(expression.left);
      walk(expression.right);
      return;
    }
    parts.push(null);
  };
  // A choice between texts is each of them.
  if (ts.isParenthesizedExpression(node)) return templateOf(node.expression, source);
  if (ts.isConditionalExpression(node)) return [...templateOf(node.whenTrue, source), ...templateOf(node.whenFalse, source)];
  const choice = [ts.SyntaxKind.QuestionQuestionToken, ts.SyntaxKind.BarBarToken];
  if (ts.isBinaryExpression(node) && choice.includes(node.operatorToken.kind)) return [...templateOf(node.left, source), ...templateOf(node.right, source)];
  walk(node);
  let index = 0;
  const template = parts.map((part) => (part === null ? `{{${index++}}}` : part)).join('');
  return /[A-Za-z]{2}/.test(template.replace(/\{\{\d+\}\}/g, '')) ? [template] : [];
}

/** Is this object literal a grader test's definition (its title and look are in the `graders` catalog)? */
const isTestDefinition = (node: ts.Node): boolean =>
  ts.isObjectLiteralExpression(node) && node.properties.some((p) => p.name !== undefined && ts.isIdentifier(p.name) && p.name.text === 'run');

let program: ts.Program | undefined;

/** One program over every group's sources, made once: the checker resolves calls across files. */
function sourcesProgram(): ts.Program {
  program ??= ts.createProgram(failureGroups().flatMap(groupSources), {
    allowImportingTsExtensions: true,
    noEmit: true,
    strict: true,
    target: ts.ScriptTarget.ES2022,
    module: ts.ModuleKind.NodeNext,
    moduleResolution: ts.ModuleResolutionKind.NodeNext,
  });
  return program;
}

export type Templates = Record<TemplateKind, string[]>;

/**
 * The phrases a text chooses between inside itself: `${cond ? ` (after …)` : ''}` in a
 * template is a `{{n}}` of the text, and each text it may be is a phrase of its own.
 */
function choicesInside(node: ts.Node, source: ts.SourceFile): string[] {
  const found: string[] = [];
  const visit = (child: ts.Node): void => {
    if (ts.isTemplateSpan(child)) {
      const expression = ts.isParenthesizedExpression(child.expression) ? child.expression.expression : child.expression;
      const choice = ts.isConditionalExpression(expression) || (ts.isBinaryExpression(expression) && [ts.SyntaxKind.QuestionQuestionToken, ts.SyntaxKind.BarBarToken].includes(expression.operatorToken.kind));
      if (choice) found.push(...templateOf(expression, source));
    }
    ts.forEachChild(child, visit);
  };
  visit(node);
  return found;
}

/** The name of a describe…() function this node declares: `function describeX` or `const describeX = (…) => …`. */
function describerName(node: ts.Node): string | undefined {
  const name = ts.isFunctionDeclaration(node) && node.name ? node.name.text : ts.isVariableDeclaration(node) && ts.isIdentifier(node.name) && node.initializer && ts.isFunctionLike(node.initializer) ? node.name.text : undefined;
  return name !== undefined && /^describe[A-Z]/.test(name) ? name : undefined;
}

/** Every failure template in `file`, by kind, in source order, each once. */
export function templatesIn(file: string): Templates {
  const checker = sourcesProgram().getTypeChecker();
  const source = sourcesProgram().getSourceFile(file);
  if (!source) throw new Error(`${file}: not among the sources of the failure templates`);
  const found: Templates = { sentences: [], phrases: [] };
  const add = (kind: TemplateKind | undefined, node: ts.Expression | undefined): void => {
    if (!kind || !node) return;
    found[kind].push(...templateOf(node, source));
    found.phrases.push(...choicesInside(node, source));
  };
  const visit = (node: ts.Node, describing: boolean): void => {
    if (ts.isPropertyAssignment(node) && ts.isIdentifier(node.name) && !isTestDefinition(node.parent)) add(kindOfName(node.name.text), node.initializer);
    if ((ts.isVariableDeclaration(node) || ts.isParameter(node)) && ts.isIdentifier(node.name)) add(kindOfName(node.name.text), node.initializer);
    if (ts.isCallExpression(node) && node.arguments.length > 0) {
      const parameters = checker.getResolvedSignature(node)?.getParameters() ?? [];
      node.arguments.forEach((argument, index) => {
        const parameter = parameters[index];
        if (parameter && !ts.isIdentifier(argument)) add(kindOfName(parameter.name), argument);
      });
    }
    // What a describe…() function returns is a phrase for a sentence's {{n}}.
    if (describing && ts.isReturnStatement(node)) add('phrases', node.expression);
    const describer = describerName(node);
    if (describer && ts.isVariableDeclaration(node) && node.initializer && ts.isArrowFunction(node.initializer) && !ts.isBlock(node.initializer.body)) add('phrases', node.initializer.body);
    // Inside it, and inside the function a `const describe…` holds; not inside other functions.
    const inDescribe = describer !== undefined || (describing && (!ts.isFunctionLike(node) || describerName(node.parent) !== undefined));
    ts.forEachChild(node, (child) => visit(child, inDescribe));
  };
  visit(source, false);
  return { sentences: [...new Set(found.sentences)], phrases: [...new Set(found.phrases)] };
}

export function groupTemplates(group: string): Templates {
  const all = groupSources(group).map(templatesIn);
  return { sentences: [...new Set(all.flatMap((t) => t.sentences))], phrases: [...new Set(all.flatMap((t) => t.phrases))] };
}

/** The placeholders of a template, sorted: a translation must have the same. */
export const placeholdersOf = (template: string): string[] => (template.match(/\{\{\d+\}\}/g) ?? []).sort();

function writeSkeleton(group: string, language: string): void {
  const file = failureCatalogFile(language, group);
  const known = readFailureCatalog(file);
  const templates = groupTemplates(group);
  const section = (kind: TemplateKind): Record<string, string> =>
    Object.fromEntries(templates[kind].map((template) => [template, known[kind][template] ?? known[kind === 'sentences' ? 'phrases' : 'sentences'][template] ?? '']));
  const catalog: FailureCatalog = { sentences: section('sentences'), phrases: section('phrases') };
  writeFileSync(file, `${JSON.stringify(catalog, null, 2)}\n`);
  const entries = [...Object.values(catalog.sentences), ...Object.values(catalog.phrases)];
  console.log(`${path.relative(projectRoot, file)}: ${templates.sentences.length} sentences and ${templates.phrases.length} phrases, ${entries.filter((text) => text === '').length} to translate`);
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const [group, flag, language = 'zh-CN'] = process.argv.slice(2);
  if (!group || !failureGroups().includes(group) || (flag !== undefined && flag !== '--lang')) {
    console.error(`usage: npx tsx shared/grading/failure-templates.ts <${failureGroups().join('|')}> [--lang zh-CN]`);
    process.exit(2);
  }
  writeSkeleton(group, language);
}
