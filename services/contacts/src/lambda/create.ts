/** Lambda handler of `POST /contacts` (API Gateway REST proxy integration). */
import { createLambdaHandler } from './lambda-handler.ts';

/** The handler API Gateway invokes. */
export const handler = createLambdaHandler('create');
