package bunq

// ScheduledPayment is a payment definition that runs on a schedule: what
// the SCHEDULE_STATUS category carries when a schedule changes.
type ScheduledPayment struct {
	ID                        int64                 `json:"id"`                           // id of the schedule
	Created                   Time                  `json:"created"`                      // when it was created
	Updated                   Time                  `json:"updated"`                      // last update
	MonetaryAccountID         int64                 `json:"monetary_account_id"`          // the account it pays from
	Schedule                  *Schedule             `json:"schedule"`                     // when it runs
	Status                    string                `json:"status"`                       // ACTIVE, FINISHED, CANCELLED
	Purpose                   string                `json:"purpose"`                      // the schedule's purpose
	LabelScheduleUserCreated  *LabelUser            `json:"label_schedule_user_created"`  // who created it
	LabelScheduleUserCanceled *LabelUser            `json:"label_schedule_user_canceled"` // who cancelled it
	Payment                   *SchedulePaymentEntry `json:"payment"`                      // the payment it makes
}

// ObjectType returns "ScheduledPayment".
func (*ScheduledPayment) ObjectType() string { return "ScheduledPayment" }

func (s *ScheduledPayment) identity() (int64, Time) { return s.ID, s.Updated }

// Schedule is when a scheduled payment runs.
type Schedule struct {
	TimeStart      Time           `json:"time_start"`      // first run (UTC)
	TimeNext       Time           `json:"time_next"`       // next run, zero when none
	TimeEnd        Time           `json:"time_end"`        // last run, zero when open-ended
	RecurrenceUnit string         `json:"recurrence_unit"` // ONCE, HOURLY, DAILY, WEEKLY, MONTHLY, YEARLY
	RecurrenceSize int            `json:"recurrence_size"` // 4 with WEEKLY: every 4 weeks
	Status         string         `json:"status"`          // ACTIVE, FINISHED, CANCELLED
	Object         *PaymentAnchor `json:"object"`          // the scheduled Payment or PaymentBatch, when sent
}

// SchedulePaymentEntry is the payment a schedule makes.
type SchedulePaymentEntry struct {
	Amount            Amount                `json:"amount"`             // negative outgoing
	Alias             *LabelMonetaryAccount `json:"alias"`              // this side
	CounterpartyAlias *LabelMonetaryAccount `json:"counterparty_alias"` // the other side
	Description       string                `json:"description"`        // up to 140 characters to external IBANs, 9000 within bunq
	MerchantReference string                `json:"merchant_reference"` // merchant's own reference, when given
	Type              string                `json:"type"`               // BUNQ, …
	SubType           string                `json:"sub_type"`           // PAYMENT, …
	Attachment        []AttachmentRef       `json:"attachment"`         // attachments of the payment
	AllowBunqto       bool                  `json:"allow_bunqto"`       // whether sending a bunq.to payment is allowed
}

// ScheduledInstance is one run of a schedule: what the SCHEDULE_RESULT
// category carries. ResultObject is the payment the run made.
type ScheduledInstance struct {
	ID              int64          `json:"id"`               // id of the run
	Created         Time           `json:"created"`          // when it was created
	Updated         Time           `json:"updated"`          // last update
	State           string         `json:"state"`            // FINISHED_SUCCESSFULLY, RETRY, FAILED_USER_ERROR
	TimeStart       Time           `json:"time_start"`       // start (UTC)
	TimeEnd         Time           `json:"time_end"`         // end (UTC)
	ErrorMessage    []ErrorMessage `json:"error_message"`    // why the run failed, on a user error
	ScheduledObject *PaymentAnchor `json:"scheduled_object"` // what was scheduled
	ResultObject    *PaymentAnchor `json:"result_object"`    // what the run produced
}

// ObjectType returns "ScheduledInstance".
func (*ScheduledInstance) ObjectType() string { return "ScheduledInstance" }

func (s *ScheduledInstance) identity() (int64, Time) { return s.ID, s.Updated }
