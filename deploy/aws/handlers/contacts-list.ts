/** Lambda entry of the contacts service's `list` operation (REST API proxy integration), behind the contacts authorizer. */
export { handler } from '../../../services/contacts/src/lambda/list.ts';
