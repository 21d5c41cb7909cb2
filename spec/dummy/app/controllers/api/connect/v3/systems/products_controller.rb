# frozen_string_literal: true

module Api
  module Connect
    module V3
      module Systems
        # RMT's product activation and product tree, the Ruby path: the same
        # checks in the same order, with the same messages.
        class ProductsController < Api::Connect::BaseController
          before_action :authenticate_system
          before_action :require_product, only: %i[show activate]
          before_action :check_product_service_and_repositories, only: %i[show activate]
          before_action :load_subscription, only: %i[activate]
          before_action :check_base_product_dependencies, only: %i[activate show]
          after_action :refresh_system_token, only: %i[activate], if: -> { request.headers.key?(SYSTEM_TOKEN_HEADER) }

          def activate
            create_product_activation
            render json: ::V3::ServiceSerializer.new(@product.service, base_url: request.base_url).as_json,
                   status: :created
          end

          def show
            unless @system.products.include?(@product)
              raise ActionController::TranslatedError.new("The requested product '%s' is not activated on this system.",
                                                          @product.friendly_name)
            end

            render json: ::V3::ProductSerializer.new(@product, base_url: request.base_url).as_json
          end

          private

          def require_product
            require_params(%i[identifier version arch])
            @product = Product.find_by(identifier: params[:identifier], version: Product.clean_up_version(params[:version]),
                                       arch: params[:arch])
            raise ActionController::TranslatedError, "No product found" unless @product
          end

          def check_product_service_and_repositories
            unless @product.service
              raise ActionController::TranslatedError.new("No repositories found for product: %s", @product.friendly_name)
            end

            mandatory = @product.repositories.only_enabled
            mirrored = @product.repositories.only_enabled.only_fully_mirrored
            missing = (mandatory - mirrored).pluck(:scc_id).join(", ")
            return if mandatory.size == mirrored.size

            raise ActionController::TranslatedError.new(
              "Not all mandatory repositories are mirrored for product %s. Missing Repositories (by ids): %s. " \
              "On the RMT server, the missing repositories can be enabled with: rmt-cli repos enable %s;  rmt-cli mirror",
              @product.friendly_name, missing, missing
            )
          end

          def load_subscription
            if params[:token].present? && @system.not_applicable?
              @subscription = Subscription.find_by(regcode: params[:token])
              raise ActionController::TranslatedError, "No subscription found with this registration code" unless @subscription
              if @subscription.expired?
                raise ActionController::TranslatedError, "The subscription with the provided Registration Code is expired"
              end
              if !@product.free && @subscription.products.exclude?(@product)
                raise ActionController::TranslatedError.new(
                  "The subscription with the provided Registration Code does not include the requested product '%s'",
                  @product.friendly_name
                )
              end
            else
              product_ids = ([@product] + @product.predecessors + @product.successors).map(&:id)
              subscription_id = @system.activations.includes(:subscription, :product).where("products.id" => product_ids)
                                       .pluck(:subscription_id).uniq.first
              @subscription = Subscription.find(subscription_id) if subscription_id
            end
          end

          def check_base_product_dependencies
            return if @product.extension? && @product.bases.any?(&:extension?)
            return if @product.base?

            if (@system.products & @product.bases).empty?
              raise ActionController::TranslatedError.new(
                "The product you are attempting to activate (%{product}) requires one of these products " \
                "to be activated first: %{required_bases}",
                { product: @product.friendly_name, required_bases: @product.bases.map(&:friendly_name).join(", ") }
              )
            elsif (@system.products & @product.root_products).empty?
              raise ActionController::TranslatedError.new(
                "The product you are attempting to activate (%{product}) is not available on your system's base " \
                "product (%{system_base}). %{product} is available on %{required_bases}.",
                { product: @product.friendly_name, system_base: @system.products.find(&:base?).friendly_name,
                  required_bases: @product.root_products.map(&:friendly_name).join(", ") }
              )
            end
          end

          def create_product_activation
            activation = @system.activations.where(service_id: @product.service.id).first_or_create
            return activation if @system.byos?

            if @subscription.present?
              activation.subscription = @subscription
              activation.save
            end
            activation
          end
        end
      end
    end
  end
end
