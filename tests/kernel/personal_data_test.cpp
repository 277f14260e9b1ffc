// The personal data subject's keys as bound SQL parameters take them.
#include "karton/kernel/personal_data.h"

#include <gtest/gtest.h>

#include "karton/common/v1/personal_data.pb.h"
#include "karton/kernel/errors.h"

namespace karton::kernel {
namespace {

TEST(PersonalDataKeys, EveryKeyTakesTheShapeItsParameterNeeds) {
  common::v1::PersonalDataSubject subject;
  subject.set_partner_id(17);
  subject.add_contact_ids(4);
  subject.add_contact_ids(9);
  subject.add_emails("a\"b,c}@example.hu");  // quotes, commas, braces: JSON keeps them intact
  subject.add_phones("+36301112233");
  PersonalDataKeys keys;
  ASSERT_TRUE(ReadPersonalDataSubject(subject, keys).ok());
  EXPECT_EQ(keys.partner_id, 17);
  EXPECT_EQ(keys.contact_ids, "{4,9}");
  EXPECT_EQ(keys.emails, R"(["a\"b,c}@example.hu"])");
  EXPECT_EQ(keys.phones, R"(["+36301112233"])");
  EXPECT_EQ(BigintArrayLiteral({}), "{}");
}

TEST(PersonalDataKeys, ASubjectThatNamesNobodyIsRefusedByName) {
  PersonalDataKeys keys;
  const auto status = ReadPersonalDataSubject({}, keys);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(FieldViolationsOf(status).at(0).field, "subject");
}

}  // namespace
}  // namespace karton::kernel
