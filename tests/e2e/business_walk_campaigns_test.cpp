// The campaigns module's walk (business_walk.h): segments, campaigns, call
// lists and calls each publish their event and audit their record, an
// update with the fields it changed.
#include <google/protobuf/util/time_util.h>
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "business_walk.h"
#include "karton/campaigns/v1/call_list_service.grpc.pb.h"
#include "karton/campaigns/v1/campaign_service.grpc.pb.h"
#include "karton/campaigns/v1/segment_service.grpc.pb.h"

namespace karton::testing {
namespace {

namespace cv1 = campaigns::v1;
namespace mv1 = messaging::v1;
namespace pv1 = partners::v1;
using google::protobuf::util::TimeUtil;

using CampaignsWalkTest = BusinessWalkTest;

TEST_F(CampaignsWalkTest, EveryCampaignsWritePublishesItsEventAndAuditsItsChangedFields) {
  modules_ = "campaigns";
  Start();
  auto segments = cv1::SegmentService::NewStub(channel_);
  auto campaigns = cv1::CampaignService::NewStub(channel_);
  auto calls = cv1::CallListService::NewStub(channel_);
  const auto caller = NewColleague("hivo@karton.example", kv1::ROLE_SALES);
  pv1::CreatePartnerRequest prospect;
  prospect.mutable_partner()->set_kind(pv1::PARTNER_KIND_PERSON);
  prospect.mutable_partner()->set_display_name("Kovács Anna");
  prospect.mutable_partner()->add_phones("+36301234567");
  prospect.mutable_partner()->add_tags("cold");
  pv1::Partner partner;
  ASSERT_TRUE(partners_->CreatePartner(As().get(), prospect, &partner).ok());
  mv1::CreateTemplateRequest offer;
  offer.mutable_template_()->set_name("ajanlat");
  offer.mutable_template_()->set_language("hu");
  offer.mutable_template_()->set_channel(mv1::CHANNEL_EMAIL);
  offer.mutable_template_()->set_subject("Ajánlat");
  offer.mutable_template_()->set_text_body("Tisztelt {{partner.display_name}}!");
  mv1::Template offer_template;
  ASSERT_TRUE(messaging_->CreateTemplate(As().get(), offer, &offer_template).ok());

  cv1::Segment segment;
  cv1::Campaign campaign;
  cv1::CallList list;
  const std::vector<Step> steps = {
      {"karton.campaigns.v1.SegmentService/CreateSegment",
       "campaigns.segment.created",
       "campaigns.segment",
       {},
       [&] {
         cv1::CreateSegmentRequest request;
         request.mutable_segment()->set_name("Hideg");
         request.mutable_segment()->set_filter("tag = \"cold\"");
         return segments->CreateSegment(As().get(), request, &segment);
       }},
      {"karton.campaigns.v1.SegmentService/UpdateSegment",
       "campaigns.segment.updated",
       "campaigns.segment",
       {"name"},
       [&] {
         cv1::UpdateSegmentRequest request;
         request.mutable_segment()->set_id(segment.id());
         request.mutable_segment()->set_name("Hideg érdeklődők");
         request.mutable_update_mask()->add_paths("name");
         return segments->UpdateSegment(As().get(), request, &segment);
       }},
      {"karton.campaigns.v1.CampaignService/CreateCampaign",
       "campaigns.campaign.created",
       "campaigns.campaign",
       {},
       [&] {
         cv1::CreateCampaignRequest request;
         request.mutable_campaign()->set_name("Ajánlat");
         request.mutable_campaign()->set_segment_id(segment.id());
         request.mutable_campaign()->set_channel(cv1::CAMPAIGN_CHANNEL_EMAIL);
         request.mutable_campaign()->set_template_name("ajanlat");
         return campaigns->CreateCampaign(As().get(), request, &campaign);
       }},
      {"karton.campaigns.v1.CampaignService/UpdateCampaign",
       "campaigns.campaign.updated",
       "campaigns.campaign",
       {"name"},
       [&] {
         cv1::UpdateCampaignRequest request;
         request.mutable_campaign()->set_id(campaign.id());
         request.mutable_campaign()->set_name("Téli ajánlat");
         request.mutable_update_mask()->add_paths("name");
         return campaigns->UpdateCampaign(As().get(), request, &campaign);
       }},
      {"karton.campaigns.v1.CampaignService/ScheduleCampaign",
       "campaigns.campaign.scheduled",
       "campaigns.campaign",
       {"state", "send_time"},
       [&] {
         cv1::ScheduleCampaignRequest request;
         request.set_id(campaign.id());
         // Tomorrow: canceled before it goes.
         *request.mutable_send_time() = TimeUtil::GetCurrentTime() + TimeUtil::HoursToDuration(24);
         return campaigns->ScheduleCampaign(As().get(), request, &campaign);
       }},
      {"karton.campaigns.v1.CampaignService/CancelCampaign",
       "campaigns.campaign.canceled",
       "campaigns.campaign",
       {"state"},
       [&] {
         cv1::CancelCampaignRequest request;
         request.set_id(campaign.id());
         return campaigns->CancelCampaign(As().get(), request, &campaign);
       }},
      {"karton.campaigns.v1.CallListService/CreateCallList",
       "campaigns.call_list.created",
       "campaigns.call_list",
       {},
       [&] {
         cv1::CreateCallListRequest request;
         request.mutable_call_list()->set_name("Hideghívás");
         request.mutable_call_list()->set_segment_id(segment.id());
         request.mutable_call_list()->add_assignee_user_ids(caller.id);
         return calls->CreateCallList(As().get(), request, &list);
       }},
      {"karton.campaigns.v1.CallListService/RecordCall",
       "campaigns.call.recorded",
       "campaigns.call_entry",
       {"last_outcome", "attempts"},
       [&] {
         cv1::ListCallListEntriesRequest entries_request;
         entries_request.set_call_list_id(list.id());
         cv1::ListCallListEntriesResponse entries;
         const auto listed = calls->ListCallListEntries(As().get(), entries_request, &entries);
         if (!listed.ok() || entries.entries_size() != 1) return listed;
         cv1::RecordCallRequest request;
         request.set_entry_id(entries.entries(0).id());
         request.set_outcome(cv1::CALL_OUTCOME_NO_ANSWER);
         cv1::CallListEntry entry;
         return calls->RecordCall(As(caller.token).get(), request, &entry);
       }},
      {"karton.campaigns.v1.SegmentService/DeleteSegment",
       "campaigns.segment.deleted",
       "campaigns.segment",
       {},
       [&] {
         cv1::DeleteSegmentRequest request;
         request.set_id(segment.id());
         cv1::DeleteSegmentResponse response;
         return segments->DeleteSegment(As().get(), request, &response);
       }},
  };
  Walk("campaigns", steps);
}

}  // namespace
}  // namespace karton::testing
