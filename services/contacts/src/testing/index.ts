/** Test fixtures of the contacts service (`@gatehouse/contacts/testing`); they import vitest. */
export { type OpenedContactStore, runContactStoreContract } from '../store/contact-store-contract.ts';
export {
  createApiGateway,
  type GatewayAnswer,
  type GatewayRequest,
  type GatewayRoute,
} from './api-gateway.ts';
export {
  type ContactsStory,
  type ManagementCall,
  provisionContactsStory,
  type StoryClient,
} from './provision-story.ts';
