/** The init answers the README shows (module-files.ts's `InitAnswers` has them). */
interface ReadmeAnswers {
  readonly name: string;
  readonly description: string;
  readonly uuid: string;
  readonly onError: string;
}

export function readmeSource(answers: ReadmeAnswers): string {
  return `# ${answers.name}

${answers.description}

A [capstan](https://github.com/capstan-dev/capstan) module (uuid \`${answers.uuid}\`, onError \`${answers.onError}\`).

\`\`\`sh
npm test             # unit tests of the capabilities (no cluster)
npx capstan dev      # run it locally against your current cluster, reloading on change
npx capstan build    # dist/: static YAML and a Helm chart (least-privilege RBAC)
npx capstan deploy   # server-side apply dist/ and wait for the rollout
\`\`\`

- \`capstan.ts\`: the module entry (its capabilities).
- \`capabilities/\`: one file per capability, with its tests beside it.
- \`package.json\` \`capstan\`: uuid, onError (audit | ignore | reject), webhookTimeout, alwaysIgnore,
  customLabels, env and extra RBAC rules.
`;
}
