// Package bunq receives bunq callbacks ("webhooks") safely and decodes
// them into typed Go values, and builds the request bodies an integrator
// sends to bunq to subscribe, re-send failed callbacks and pin a
// certificate.
//
// # Subscribing
//
// bunq calls a URL for the events of the categories you subscribe to.
// Subscribe a user with the notification-filter-url resource (body from
// [NotificationFilterURLBody]); the URL must use https, and a secret token
// in its query lets the receiver tell bunq from anyone else. Push
// notifications to the user's phone use notification-filter-push
// ([NotificationFilterPushBody]). The older API sets notification_filters
// on a user-person, user-company, monetary-account or cash-register object
// with a delivery method of URL or PUSH ([NotificationFiltersBody]). An
// empty list removes the subscriptions.
//
// The categories bunq documents are constants ([CategoryMutation],
// [CategoryPayment], …; [Categories] lists them), with the object type a
// callback of each usually carries:
//
//	BILLING                      all bunq invoices                                  → *Invoice
//	CARD_TRANSACTION_SUCCESSFUL  successful card transactions                       → *MasterCardAction
//	CARD_TRANSACTION_FAILED      failed card transactions                           → *MasterCardAction
//	CHAT                         received chat messages                             → *ChatMessage
//	DRAFT_PAYMENT                creation and updates of draft payments             → *DraftPayment
//	IDEAL                        iDEAL deposits towards a bunq account              → *IdealMerchantTransaction
//	SOFORT                       SOFORT deposits towards a bunq account             → *SofortMerchantTransaction
//	MUTATION                     any change of a monetary account's balance         → *Payment
//	OAUTH                        revoked OAuth connections
//	PAYMENT                      payments made or received (not those paying a
//	                             request, iDEAL, SOFORT or an invoice)              → *Payment, *PaymentBatch
//	REQUEST                      incoming requests, updates on outgoing ones        → *RequestInquiry, *RequestResponse
//	SCHEDULE_RESULT              a scheduled payment was executed                   → *ScheduledInstance
//	SCHEDULE_STATUS              a scheduled payment was updated or cancelled       → *ScheduledPayment
//	SHARE                        creation and updates of Connects                   → *ShareInviteBankInquiry, *ShareInviteBankResponse
//	TAB_RESULT                   updates on Tab payments
//	BUNQME_TAB                   updates on bunq.me Tab (open request) payments     → *BunqMeTab, *BunqMeTabResultInquiry
//	SUPPORT                      messages from bunq's support chat                  → *ChatMessage
//	PARTNER_USER_PROVISION       a provisioned user changed (user provisioning)     → *PartnerUserProvision
//	USER_INFORMATION_INQUIRY     a compliance inquiry (user provisioning)           → *UserInformationInquiry
//	MONETARY_ACCOUNT_PROFILE     not described by bunq
//	PROMOTION                    not described by bunq
//	USER_APPROVAL                not described by bunq
//	USER_ONBOARDING              who must act next on a provisioned user's
//	                             onboarding changed                                 → *UserOnboarding
//	CARD_TRANSACTION_UPDATED     a card transaction was updated or cleared
//	CARD_TRANSACTION_REFUND      a refund the user asked for was approved or denied
//	CARD                         a card's properties changed                        → CardDebit (*Unknown)
//	CARD_TOKENIZATION            an Apple Pay or Google Pay card token changed
//	MASTERCARD_IDENTITY_CHECK    a 3-D Secure challenge awaits the user, or was
//	                             rejected, failed or expired                        → MasterCardIdentityCheckChallengeRequest (*Unknown)
//
// The object types on the right are the usual ones; the package never
// relies on the pairing. A MUTATION is created for every payment-like
// object (a request paid, an iDEAL deposit, a payment), so that category
// alone tracks an account's balance.
//
// # Where the lists come from
//
// bunq publishes no single list of categories or event types. The
// constants are transcribed from these documents, and a test keeps them in
// step with what each one lists:
//
//   - the "Callback categories" table of bunq's API documentation
//     (doc.bunq.com, "Callbacks"; DESCRIPTION.md in github.com/bunq/doc):
//     BILLING to SUPPORT above, OAUTH and BUNQME_TAB included;
//   - the category of a NotificationFilter in bunq's OpenAPI description
//     (generated.json in github.com/bunq/doc, repeated by the
//     NotificationFilter models of the bunq/sdk_python and bunq/sdk_java
//     SDKs), which adds MONETARY_ACCOUNT_PROFILE, PROMOTION and
//     USER_APPROVAL without describing them; event types appear there
//     only as a field of a failed callback, never listed;
//   - the user-provisioning guide, "Chapter 4: Webhooks" (doc.bunq.com),
//     whose table pairs every partner category with its event types:
//     PARTNER_USER_PROVISION, USER_ONBOARDING, USER_INFORMATION_INQUIRY,
//     SUPPORT, MUTATION, PAYMENT, REQUEST and the card categories;
//   - the webhooks of bunq's Partner API description
//     (partner-api-swagger.yaml in github.com/bunq/partner-mcp), which
//     adds MASTERCARD_IDENTITY_CHECK and shows the objects of
//     USER_ONBOARDING, CARD and MASTERCARD_IDENTITY_CHECK;
//   - the callback bodies in the test assets of bunq's SDKs
//     (tests/assets/NotificationUrlJsons in bunq/sdk_python, the same in
//     bunq/sdk_java), for the event types of DRAFT_PAYMENT, BUNQME_TAB,
//     SHARE, SCHEDULE_RESULT and SCHEDULE_STATUS.
//
// One event type has no document: BUNQME_TAB_RESULT_INQUIRY_CREATED, what
// integrations that take payments through bunq.me wait for.
//
// # The callback
//
// Each callback is a POST whose JSON body is the envelope
//
//	{"NotificationUrl":{"target_url":"https://…","category":"MUTATION",
//	  "event_type":"MUTATION_CREATED","object":{"Payment":{…}}}}
//
// [Decode] turns it into a [*Notification]. Its Object is a sealed union
// ([Object]) decided by the single key inside "object", never by the
// category; an object type this package does not model decodes to
// [*Unknown] with its raw JSON, so bunq adding a type never breaks a
// receiver. Money is exact ([Amount] over bankhook.Decimal), timestamps
// are [Time] values in bunq's "2006-01-02 15:04:05.000000" UTC format, and
// unknown fields are ignored. A malformed body is refused with a
// bankhook.DecodeError naming the JSON Pointer of the bad value. A decoded
// notification re-encodes to the same envelope, so it can be queued or
// forwarded and decoded again.
//
// [Notification.IdempotencyKey] identifies the event (category, event
// type, object type, object id and update time) for deduplication: a
// retried delivery has the same key, a later update of the object another.
//
// # Receiving
//
// NewReceiver (receiver.go) is the ready-made http.Handler: it runs the
// bankhook pipeline (sender allowlist, rate limit, body limits, optional
// URL token, Decode, dedupe) with bunq's defaults in front of your typed
// handlers. Answer 2xx only once an event is handled: anything else makes
// bunq retry.
//
// # Retries and failures
//
// bunq retries a callback that fails (no answer, or a non-2xx answer) up
// to 5 times, one minute apart, so 6 attempts in all ([RetrySchedule]).
// After the sixth failure the delivery is stored and listed by GET
// /v1/user/{userID}/notification-filter-failure; [DecodeFailureListing]
// reads that page (Category and ObjectID tell which event failed). POST
// the same resource with [RetryFailuresBody] (up to 100 failure ids) to
// have bunq send them again.
//
// Package bunq/bunqapi is the client that sends these requests, with
// bunq's signed handshake; its Recoverer lists and re-sends failed
// callbacks every few minutes, so a receiver that was down longer than
// bunq's retries still loses nothing. Package bunq/bunqtest stands in for
// bunq's API in tests and delivers callbacks on a clock the test moves.
//
// # Sender addresses
//
// Production callbacks come from [ProductionRanges] (185.40.108.0/22).
// Sandbox callbacks come from changing AWS addresses, so a sandbox
// receiver must rely on the URL token instead. bunq says the addresses may
// change and that it will announce changes: keep the allowlist replaceable
// at run time.
//
// # Certificate pinning
//
// bunq recommends pinning: it then checks that your server presents the
// pinned certificate chain and cancels a callback on a mismatch. POST the
// chain to the certificate-pinned resource with the body from
// [CertificatePinnedBody]; bankhook's pinning helpers fetch the chain a
// server presents (what bunq documents doing with openssl s_client) and
// check a pinned chain against it. A renewed or replaced certificate
// makes callbacks fail until the new chain is pinned.
package bunq
