/** Lambda handler of `GET /contacts/{id}` (API Gateway REST proxy integration). */
import { createLambdaHandler } from './lambda-handler.ts';

/** The handler API Gateway invokes. */
export const handler = createLambdaHandler('get');
