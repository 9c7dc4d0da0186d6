// esbuild plugins for the Lambda bundles (serverless-esbuild `plugins`, and the CDK app's bundling).
// The contacts handlers and the server share modules with their SQLite and PostgreSQL back-ends;
// on Lambda the store is DynamoDB, so those native or unused drivers are replaced by a module that
// fails loudly if anything ever calls it, instead of shipping a native add-on built for another CPU.
const UNUSED_ON_LAMBDA = /^(better-sqlite3|pg|pg-native)$/;

const stubUnusedDrivers = {
  name: 'gatehouse-stub-unused-drivers',
  setup(build) {
    build.onResolve({ filter: UNUSED_ON_LAMBDA }, (args) => ({
      path: args.path,
      namespace: 'gatehouse-stub',
    }));
    build.onLoad({ filter: /.*/, namespace: 'gatehouse-stub' }, (args) => ({
      contents: `const fail = () => { throw new Error(${JSON.stringify(`${args.path} is not in the Lambda bundle: use the DynamoDB store`)}); };
export default new Proxy(function () {}, { apply: fail, construct: fail, get: (_, key) => (key === 'then' ? undefined : fail()) });
export const Pool = fail, Client = fail, types = { setTypeParser() {} };`,
      loader: 'js',
    }));
  },
};

module.exports = [stubUnusedDrivers];
