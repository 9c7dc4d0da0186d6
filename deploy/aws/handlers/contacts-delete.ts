/** Lambda entry of the contacts service's `delete` operation (REST API proxy integration), behind the contacts authorizer. */
export { handler } from '../../../services/contacts/src/lambda/delete.ts';
